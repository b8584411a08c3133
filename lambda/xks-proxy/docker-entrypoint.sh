#!/bin/sh
# XKS proxy container entrypoint. Demo mode only: with XKS_SOFTHSM_DEMO_KEYS="key-1 key-2" it makes
# a SoftHSM2 token inside the container (keys die with the container) with those AES-256 keys and
# the health-check key, then runs the command. Without it, the command runs unchanged.
set -eu

if [ -n "${XKS_SOFTHSM_DEMO_KEYS:-}" ]; then
  : "${XKS_HSM_PIN:?XKS_HSM_PIN must be set in demo mode}"
  state="${XKS_SOFTHSM_DIR:-/var/lib/xks-proxy}"
  label="${XKS_SOFTHSM_TOKEN_LABEL:-xks}"
  module="${XKS_SOFTHSM_LIBRARY:-/usr/lib/softhsm/libsofthsm2.so}"
  export SOFTHSM2_CONF="$state/softhsm2.conf"
  mkdir -p "$state/tokens"
  printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$state" > "$SOFTHSM2_CONF"
  if ! softhsm2-util --show-slots | grep -q "Label:[[:space:]]*$label[[:space:]]*$"; then
    so_pin="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
    softhsm2-util --init-token --free --label "$label" --so-pin "$so_pin" --pin "$XKS_HSM_PIN" > /dev/null
    for key in $XKS_SOFTHSM_DEMO_KEYS xks-health; do
      pkcs11-tool --module "$module" --token-label "$label" --login --pin "$XKS_HSM_PIN" \
        --keygen --key-type AES:32 --label "$key" --sensitive > /dev/null
    done
    echo "{\"msg\":\"demo.softhsmToken\",\"tokenLabel\":\"$label\",\"keys\":\"$XKS_SOFTHSM_DEMO_KEYS xks-health\"}"
  fi
fi

exec "$@"
