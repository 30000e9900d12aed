#!/usr/bin/env bash
# Print the stored form of passwords for conf/tomcat-users.xml, as Tomcat's
# digest.sh (bin/catalina.sh digest):
#   bin/digest.sh [-a <algorithm>] [-e <encoding>] [-i <iterations>] [-s <salt-length>]
#                 [-k <key-length>] [-h <handler-class-name>] <credentials> ...
# prints "credentials:stored" for each; docs/security.md, "Storing passwords".
exec "$(dirname "${BASH_SOURCE[0]}")/catalina.sh" digest "$@"
