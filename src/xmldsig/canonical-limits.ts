/**
 * The longest canonical form produced when the inspection sets no budget, in
 * UTF-16 code units: four times the largest metadata document.
 */
export const DEFAULT_MAX_CANONICAL_LENGTH = 4 * 5 * 1024 * 1024;
