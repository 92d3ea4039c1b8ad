/**
 * parseArgs' refusal in one line: its messages are good ("Unknown option '--jsn'") but for its advice
 * about '--' for positionals, and for an option whose value is missing before another option, which it
 * calls "ambiguous" in three lines.
 */
export function parseArgsMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const ambiguous = /^Option '([^']+)' argument is ambiguous/.exec(message);
  if (ambiguous !== null) return `Option '${ambiguous[1]}' needs a value, and what follows it starts with "-" (write ${ambiguous[1]}=-VALUE for a value that does)`;
  return message.split('. To specify a positional')[0] ?? message;
}
