/** `strait topology`: see src/cli/commands/translate.ts (both read MM2's internal topics). */
export { topology as command } from './translate.js';
