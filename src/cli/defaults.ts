/** Where the installed box keeps its config (the path the systemd unit runs with). */
export const DEFAULT_CONFIG = '/etc/linewatch/linewatch.yaml'
