/**
 * The version of the JSON result document that `metrabs detect` writes and the web page
 * downloads (docs/cli.md, `<name>.json`). 2 added `version`, `peopleFound` and `dropped`;
 * documents without `version` are version 1. Bump it when a field changes meaning or goes.
 */
export const RESULT_DOCUMENT_VERSION = 2;
