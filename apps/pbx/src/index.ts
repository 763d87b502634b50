export const PACKAGE = 'pbx';
