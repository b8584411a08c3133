#!/usr/bin/env bash
# Installs the newest aws-cdk-lib 2.x (or the version given as $1) into .tmp/aws-cdk-lib-latest/,
# a gitignored folder, so the compatibility matrix can run against it
# (test/compat/jest.latest.config.js maps `aws-cdk-lib` there). Re-running with the same version
# is a no-op.
set -euo pipefail
cd "$(dirname "$0")/.."
# The registry's `latest` tag, which must still be a 2.x release (a 3.0 would need its own look).
want="${1:-$(npm view aws-cdk-lib dist-tags.latest)}"
case "$want" in 2.*) ;; *) echo "aws-cdk-lib latest is $want, not 2.x: pass a 2.x version" >&2; exit 2 ;; esac
dir=.tmp/aws-cdk-lib-latest
have="$(node -p "try{require('./$dir/node_modules/aws-cdk-lib/package.json').version}catch{''}" 2>/dev/null || true)"
if [ "$have" = "$want" ]; then
  echo "aws-cdk-lib $have already in $dir"
  exit 0
fi
rm -rf "$dir"
mkdir -p "$dir"
echo '{"name":"aws-cdk-lib-latest","private":true}' > "$dir/package.json"
# constructs is a peer of aws-cdk-lib; the project's own copy is used by the tests, so only
# aws-cdk-lib (and its bundled dependencies) lands here.
npm install --prefix "$dir" --no-audit --no-fund --ignore-scripts --omit=peer "aws-cdk-lib@$want" >/dev/null
echo "aws-cdk-lib $(node -p "require('./$dir/node_modules/aws-cdk-lib/package.json').version") installed in $dir"
