import * as path from "node:path";

const root = path.resolve(import.meta.dirname, "../..");

/** The Bun pinned in devDependencies. */
export const BUN = path.join(root, "node_modules/.bin/bun");
/** The compiled single binary (`npm run build`). */
export const TRIBUTARY_BINARY = path.join(root, "dist/tributary");
export const REPO_ROOT = root;
