/**
 * The longest question an avatar reads. Chat cuts a longer message here with a notice, the answer
 * core cuts what other surfaces (CLI, eval) pass, and the stored turn is cut the same way.
 */
export const MAX_QUESTION_CHARS = 4000;
