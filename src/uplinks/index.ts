export { UplinkMonitor, probeTarget, type UplinkMonitorDeps } from './monitor.js'
export { IpRouteControl, type RouteControl, type UplinkRoute } from './routes.js'
export { probe, interfaceAddress, type Prober } from './probes.js'
