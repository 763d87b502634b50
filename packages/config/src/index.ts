export const PACKAGE = 'config';
