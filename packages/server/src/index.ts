export * from './batch/index.js';
