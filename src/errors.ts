import { IConstruct } from 'constructs';

/**
 * A synth-time error for invalid input: names the construct path, what is wrong and the fix.
 * (aws-cdk-lib's own ValidationError is not part of its public API.)
 */
export function validationError(scope: IConstruct, problems: string[]): Error {
  const list = problems.length === 1 ? problems[0] : problems.map((p) => `\n  - ${p}`).join('');
  const error = new Error(`${scope.node.path}: ${list}`);
  error.name = 'ValidationError';
  return error;
}

/** Throws a ValidationError when there are problems. */
export function assertNoProblems(scope: IConstruct, problems: string[]): void {
  if (problems.length > 0) throw validationError(scope, problems);
}
