export * from '@metrabs/runtime/web';
