// A Reference with another registry and repository, keeping the tag and digest.
import { parseReference, type Reference } from '../reference/index.ts';

export function makeReferenceFrom(ref: Reference, where: { registry: string; repository: string }): Reference {
  const tail = (ref.tag === undefined ? '' : `:${ref.tag}`) + (ref.digest === undefined ? '' : `@${ref.digest}`);
  return parseReference(`${where.registry}/${where.repository}${tail}`);
}
