/** The contributed command ids (titles live in package.json). */

export const RESTART_COMMAND = "fxlens.restartServer";
export const SHOW_NODES_COMMAND = "fxlens.showNodes";
export const SHOW_LOG_COMMAND = "fxlens.showServerLog";
