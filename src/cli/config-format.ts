import { extname } from 'node:path';

/**
 * How a config file is read: a `.json` file as JSON, any other as YAML (which also reads JSON).
 * docs/cli.md, "The config file".
 *
 * @internal
 */
export function configFormat(path: string): 'JSON' | 'YAML' {
  return extname(path).toLowerCase() === '.json' ? 'JSON' : 'YAML';
}
