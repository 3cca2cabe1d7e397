#!/usr/bin/env bash
# What the test suite needs from the operating system, which a virtualenv cannot hold:
# Chromium (browser tests), CJK fonts (Chinese text in screenshots and PDF reports), Pango
# (WeasyPrint lays out the PDF reports with it) and gettext (msgfmt for compilemessages,
# xgettext for makemessages).
#
# Installs the missing ones with apt-get when it can (root on Debian/Ubuntu, and
# CARECRM_NO_APT unset); otherwise says what is missing and how to install it.
# Exit status: 0 when everything is present afterwards, 1 when something is still missing.
set -uo pipefail

chromium="${CARECRM_CHROMIUM:-/usr/bin/chromium}"

find_missing() {
  missing=()
  [ -x "$chromium" ] || missing+=(chromium)
  command -v msgfmt >/dev/null 2>&1 || missing+=(gettext)
  if ! command -v fc-list >/dev/null 2>&1 || ! fc-list :lang=zh 2>/dev/null | grep -q .; then
    missing+=(fonts-noto-cjk)
  fi
  if ! /sbin/ldconfig -p 2>/dev/null | grep -q 'libpangoft2-1.0.so.0'; then
    missing+=(libpangoft2-1.0-0)
  fi
}

find_missing
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && [ -z "${CARECRM_NO_APT:-}" ]; then
  echo "Installing system packages the tests need: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q && apt-get install -y -q "${missing[@]}"
  find_missing
  [ ${#missing[@]} -eq 0 ] && exit 0
fi

cat >&2 <<MSG

*** Missing system packages: ${missing[*]}
*** Install them with:  sudo apt-get install -y ${missing[*]}
***   chromium        - the browser tests (Playwright drives $chromium) fail without it
***   gettext         - compilemessages/makemessages cannot run without msgfmt/xgettext
***   fonts-noto-cjk  - Chinese text renders as boxes in screenshots and PDFs without it
***   libpangoft2-1.0-0 - PDF reports (WeasyPrint) cannot be made without it

MSG
exit 1
