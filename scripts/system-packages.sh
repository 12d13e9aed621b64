#!/usr/bin/env bash
# Install the Debian packages Careline needs. Usage: system-packages.sh run|test
# As root it installs them with apt-get; otherwise it prints the command to run.
set -euo pipefail

run_packages=(python3 python3-venv python3-dev gcc espeak-ng sox fonts-wqy-zenhei)
test_packages=(postgresql chromium baresip-core sip-tester dovecot-imapd hylafax-server openssl kamailio)

case "${1:-run}" in
  run) wanted=("${run_packages[@]}") ;;
  test) wanted=("${run_packages[@]}" "${test_packages[@]}") ;;
  *) echo "usage: $0 run|test" >&2; exit 2 ;;
esac

missing=()
for package in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "Careline needs these Debian packages; please run:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
