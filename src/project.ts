// Where the project's own assets live: the only files a build reads besides the manuscript.
import path from 'node:path';
import {fileURLToPath} from 'node:url';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const TEMPLATES_DIR = path.join(PROJECT_ROOT, 'templates');
export const STYLES_DIR = path.join(PROJECT_ROOT, 'styles');
