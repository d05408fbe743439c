#!/bin/sh
# Makes what compose/docker-compose.yml needs and the repository must not hold:
#   compose/.env                            from .env.example, each "change-me" a fresh random value
#   compose/secrets/jwt_private_key.pem     the auth service's token signing key (RSA 2048)
#   compose/secrets/jwt_previous_private_key.pem   empty (filled only during a key rotation)
# Never overwrites an existing file. Needs openssl.
set -eu
cd "$(dirname "$0")"
umask 077

if [ -e .env ]; then
  echo "compose/.env exists; left alone"
else
  while IFS= read -r line || [ -n "$line" ]; do
    case "$line" in
      *=change-me) printf '%s=%s\n' "${line%%=*}" "$(openssl rand -hex 24)" ;;
      *) printf '%s\n' "$line" ;;
    esac
  done < .env.example > .env
  echo "wrote compose/.env"
fi

mkdir -p secrets
chmod 700 secrets
if [ -e secrets/jwt_private_key.pem ]; then
  echo "compose/secrets/jwt_private_key.pem exists; left alone"
else
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out secrets/jwt_private_key.pem 2>/dev/null
  echo "wrote compose/secrets/jwt_private_key.pem"
fi
[ -e secrets/jwt_previous_private_key.pem ] || : > secrets/jwt_previous_private_key.pem
# The containers run as uid 10001 and read these through bind mounts: readable files in a
# directory only this user can enter.
chmod 644 secrets/jwt_private_key.pem secrets/jwt_previous_private_key.pem
