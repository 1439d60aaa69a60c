#!/usr/bin/env node
// The `tributary` command of the npm package: the CLI from the compiled
// JavaScript in lib/, under Node 20 or later or under Bun. (The single binary,
// `npm run build`, is the same CLI with Bun inside.)
import "../lib/main.js";
