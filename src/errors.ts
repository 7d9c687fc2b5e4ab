/**
 * Input a user can fix. `reason` is a stable CamelCase word (it becomes a condition reason
 * later); `message` names the field or file and says how to fix it. Neither ever contains key
 * material or passwords.
 */
export class InvalidInputError extends Error {
  override readonly name = 'InvalidInputError';

  constructor(
    readonly reason: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}
