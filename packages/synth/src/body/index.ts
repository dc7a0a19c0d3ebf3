/** The body part of `@metrabs/synth`: MakeHuman assets → shaped, dressed, rigged rest-pose person. */
export * from './catalog-node.js';
export * from './macro.js';
export * from './material.js';
export * from './obj.js';
export * from './person.js';
export * from './proxy.js';
export * from './rig.js';
export * from './targets.js';
export * from './weights.js';
