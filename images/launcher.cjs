#!/kaniko/bin/node
// /kaniko/executor and /kaniko/warmer: start the bundle named like this file
// (/kaniko/bin/<name>.mjs) with Kiln's own Node. The image has no shell, so the kernel runs
// this through the shebang; a CommonJS file because Node reads an extension-less file as one.
'use strict';
const path = require('node:path');
const { pathToFileURL } = require('node:url');

const name = path.basename(__filename);
import(pathToFileURL(path.join(__dirname, 'bin', `${name}.mjs`)).href).catch((err) => {
  process.stderr.write(`kiln: cannot start ${name}: ${err && err.message ? err.message : err}\n`);
  process.exit(1);
});
