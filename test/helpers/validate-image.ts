// validateImage lives in shared/image (the registry and cache code use it too); tests import it from here.
export { validateImage } from '../../shared/image/index.ts';
