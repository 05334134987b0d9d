// `node webpack/build.mjs`: builds with webpack's Node API (no webpack-cli needed) and copies index.html beside it.
import { copyFileSync } from 'node:fs';
import webpack from 'webpack';
import config from './webpack.config.mjs';

const stats = await new Promise((resolve, reject) => webpack(config, (err, s) => (err ? reject(err) : resolve(s))));
if (stats.hasErrors()) throw new Error(stats.toString('errors-only'));
copyFileSync(new URL('./index.html', import.meta.url), new URL('./dist/index.html', import.meta.url));
