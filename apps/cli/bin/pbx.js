#!/usr/bin/env node
'use strict';
// The `pbx` command; the code is compiled to ../dist by `npm run build`.
require('../dist/main.js').main();
