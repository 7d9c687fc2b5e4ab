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

/**
 * The name of an object the operator would write is held by something it does not control for
 * this resource (another resource's object, or one made by hand). The operator never writes
 * over it; `holder` says who holds it, for the message that tells the user what to rename.
 */
export class NameConflictError extends InvalidInputError {
  constructor(
    readonly kind: 'Secret' | 'ConfigMap',
    readonly objectName: string,
    readonly holder: string,
    message: string,
    field: string,
  ) {
    super('NameConflict', message, field);
  }
}
