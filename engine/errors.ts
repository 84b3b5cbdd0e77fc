// Errors meant for the user: the message names the cause and, where there is one, what to do.
// The CLI prints these without a stack; anything else is treated as a bug.

export class BiudError extends Error {
  override name = 'BiudError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The GPU device went away (driver reset, `device.destroy()`, tab backgrounded too long). */
export class DeviceLostError extends BiudError {
  constructor(public readonly reason: string, message: string) {
    super(message);
  }
}
