/** Pure state machines of the call model: legs, hold, stations, routing, ring groups, park, features. */
export * from './ids';
export * from './errors';
export * from './call-leg';
export * from './media-direction';
export * from './station-state';
export * from './routing';
export * from './ring-group';
export * from './park-slots';
export * as features from './features';
export * from './subscription';
