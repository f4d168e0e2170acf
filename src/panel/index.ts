export { PanelController } from './controller.js'
export { J5Panel } from './j5-panel.js'
export { panelView, lampColor, faults } from './patterns.js'
