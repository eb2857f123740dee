#!/usr/bin/env node
// Launcher: sizes libuv's thread pool before anything can start it, then loads the CLI.
// librdkafka calls that wait (consume batches, flush, commits) each hold a pool thread while
// they wait; the default of 4 would make worker threads queue behind each other. CommonJS on
// purpose: loading this file does not touch the pool (the ES module loader reads files through
// it), so the size set here is the one the pool starts with.
'use strict';
if (!process.env.UV_THREADPOOL_SIZE) process.env.UV_THREADPOOL_SIZE = '64';
import('../dist/src/cli/main.js').catch((err) => {
  console.error(`strait: cannot load the CLI (${err && err.message}); build it first with: npm run build`);
  process.exitCode = 1;
});
