# Tests against real servers: Prosody and ejabberd on loopback, started once
# per test run by the CTest fixture "servers" (tests/servers/xporta-servers)
# in a directory of the build tree.  Included from tests/CMakeLists.txt; a
# test that needs the servers sets FIXTURES_REQUIRED servers and reads
# ${XPORTA_SERVERS_DIR}/servers.env.  Everything exits 77 (skipped) when the
# server packages are not installed.
include(tools/tools.cmake)

set(XPORTA_SERVERS_DIR ${CMAKE_BINARY_DIR}/servers)
set(XPORTA_SERVERS_SCRIPT ${PROJECT_SOURCE_DIR}/tests/servers/xporta-servers)
set(XPORTA_SMOKE_SH ${CMAKE_CURRENT_SOURCE_DIR}/integration/session_smoke.sh)

add_test(NAME servers.start
  COMMAND sh ${XPORTA_SMOKE_SH} start ${XPORTA_SERVERS_SCRIPT}
          ${XPORTA_SERVERS_DIR})
set_tests_properties(servers.start PROPERTIES FIXTURES_SETUP servers
  SKIP_RETURN_CODE 77 TIMEOUT 300 LABELS integration)
add_test(NAME servers.stop
  COMMAND sh ${XPORTA_SMOKE_SH} stop ${XPORTA_SERVERS_SCRIPT}
          ${XPORTA_SERVERS_DIR})
set_tests_properties(servers.stop PROPERTIES FIXTURES_CLEANUP servers
  TIMEOUT 120 LABELS integration)

# lib/xmpp on both servers: login, requests, pipelining, errors, failures.
add_executable(session_smoke integration/session_smoke.c)
target_include_directories(session_smoke PRIVATE ${PROJECT_SOURCE_DIR}/lib)
# OpenSSL plays a server with a certificate for other names.
pkg_check_modules(OPENSSL REQUIRED IMPORTED_TARGET openssl)
target_link_libraries(session_smoke PRIVATE xporta PkgConfig::OPENSSL)
target_compile_options(session_smoke PRIVATE ${XPORTA_WARNINGS})
add_test(NAME integration.session_smoke
  COMMAND sh ${XPORTA_SMOKE_SH} run ${XPORTA_SERVERS_SCRIPT}
          ${XPORTA_SERVERS_DIR} $<TARGET_FILE:session_smoke>)
set_tests_properties(integration.session_smoke PROPERTIES
  FIXTURES_REQUIRED servers SKIP_RETURN_CODE 77 TIMEOUT 300
  LABELS integration)

# lib/xmpp's TCP behaviour (ACKs, Nagle) against a fake server on loopback
# that splits its replies; it borrows Prosody's test certificate.
add_executable(session_acks integration/session_acks.c)
target_include_directories(session_acks PRIVATE ${PROJECT_SOURCE_DIR}/lib)
target_link_libraries(session_acks PRIVATE xporta PkgConfig::OPENSSL)
target_compile_options(session_acks PRIVATE ${XPORTA_WARNINGS})
add_test(NAME integration.session_acks
  COMMAND sh ${XPORTA_SMOKE_SH} run ${XPORTA_SERVERS_SCRIPT}
          ${XPORTA_SERVERS_DIR} $<TARGET_FILE:session_acks>)
set_tests_properties(integration.session_acks PROPERTIES
  FIXTURES_REQUIRED servers SKIP_RETURN_CODE 77 TIMEOUT 120
  LABELS integration)

# The kind codecs (lib/xmpp/xmpp_kinds.h) on both servers: fresh accounts
# filled by xp_populate (tests/data/scenarios/fill-*.xml), read back and
# checked.  Serial: it subscribes and chats between accounts, and
# ejabberd's mod_pres_counter counts per session.
add_executable(kinds_live integration/kinds_live.c)
target_include_directories(kinds_live PRIVATE ${PROJECT_SOURCE_DIR}/lib)
target_link_libraries(kinds_live PRIVATE xporta xporta_tools
  PkgConfig::STROPHE)
target_compile_options(kinds_live PRIVATE ${XPORTA_WARNINGS})
add_test(NAME integration.kinds_live
  COMMAND kinds_live ${XPORTA_SERVERS_SCRIPT} ${XPORTA_SERVERS_DIR}
          $<TARGET_FILE:xp_populate> ${XPORTA_TEST_DATA}/scenarios)
set_tests_properties(integration.kinds_live PROPERTIES
  FIXTURES_REQUIRED servers SKIP_RETURN_CODE 77 TIMEOUT 300 RUN_SERIAL TRUE
  LABELS integration)

# xporta export on both servers: every kind, error paths, resume, oracle.
add_test(NAME integration.export_live
  COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/integration/export_live.sh
          ${XPORTA_SERVERS_SCRIPT} ${XPORTA_SERVERS_DIR}
          $<TARGET_FILE:xporta-cli> $<TARGET_FILE:xp_populate>
          ${CMAKE_CURRENT_SOURCE_DIR}/data/scenarios)
set_tests_properties(integration.export_live PROPERTIES
  FIXTURES_REQUIRED servers SKIP_RETURN_CODE 77 TIMEOUT 900 RUN_SERIAL TRUE
  LABELS integration)

# The restore builders (xmpp_kinds.h, "Restoring") on both servers: a
# source filled by xp_populate is read, restored into fresh accounts on the
# other vhost by several plans (the import recipe, publish-options, the
# bookmark and blocklist interplays) and read back; every restored record
# must have the same xfer_value_hash.  Serial, like kinds_live.
add_executable(restore_live integration/restore_live.c)
target_include_directories(restore_live PRIVATE ${PROJECT_SOURCE_DIR}/lib)
target_link_libraries(restore_live PRIVATE xporta xporta_tools
  PkgConfig::STROPHE)
target_compile_options(restore_live PRIVATE ${XPORTA_WARNINGS})
add_test(NAME integration.restore_live
  COMMAND restore_live ${XPORTA_SERVERS_SCRIPT} ${XPORTA_SERVERS_DIR}
          $<TARGET_FILE:xp_populate> ${XPORTA_TEST_DATA}/scenarios)
set_tests_properties(integration.restore_live PROPERTIES
  FIXTURES_REQUIRED servers SKIP_RETURN_CODE 77 TIMEOUT 600 RUN_SERIAL TRUE
  LABELS integration)

# xporta import and migrate on both servers: every restorable kind arrives
# (Prosody->ejabberd, ejabberd->Prosody, Prosody->Prosody), idempotence, a
# target's own data kept, dry runs, bad input, resume after a stop at every
# journal step and after kill -9 at random moments.
add_test(NAME integration.import_live
  COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/integration/import_live.sh
          ${XPORTA_SERVERS_SCRIPT} ${XPORTA_SERVERS_DIR}
          $<TARGET_FILE:xporta-cli> $<TARGET_FILE:xp_populate>
          ${CMAKE_CURRENT_SOURCE_DIR}/data/scenarios)
set_tests_properties(integration.import_live PROPERTIES
  FIXTURES_REQUIRED servers SKIP_RETURN_CODE 77 TIMEOUT 1200 RUN_SERIAL TRUE
  LABELS integration)

# XEP-0283 Moved on both servers: announce (statement, requests per
# subscription state, approval of followers on a later run), follow-moves as
# each contact, forged moves refused with their reason, resume after a stop
# at every journal step; then across Prosody -> ejabberd on a second pair of
# servers that talk server to server (XPORTA_S2S=1).
add_test(NAME integration.moved_live
  COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/integration/moved_live.sh
          ${XPORTA_SERVERS_SCRIPT} ${XPORTA_SERVERS_DIR}
          $<TARGET_FILE:xporta-cli> $<TARGET_FILE:xp_populate>
          ${CMAKE_CURRENT_SOURCE_DIR}/data/scenarios)
set_tests_properties(integration.moved_live PROPERTIES
  FIXTURES_REQUIRED servers SKIP_RETURN_CODE 77 TIMEOUT 900 RUN_SERIAL TRUE
  LABELS integration)

# Group chats follow the user (issue 13): rooms made by an independent
# client (muc_rooms.py), OLD owner/admin/member/banned; migrate grants
# what OLD may, changes nothing else, messages owners once; xporta rooms
# for a named hidden room; a removed grant is not made again.  Both
# directions (Prosody <-> ejabberd).
add_test(NAME integration.rooms_live
  COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/integration/rooms_live.sh
          ${XPORTA_SERVERS_SCRIPT} ${XPORTA_SERVERS_DIR}
          $<TARGET_FILE:xporta-cli>)
set_tests_properties(integration.rooms_live PROPERTIES
  FIXTURES_REQUIRED servers SKIP_RETURN_CODE 77 TIMEOUT 600
  LABELS integration)

# Prosody's own storage (server-export, server-import) on a Prosody of its
# own, stopped and started around the import: the old passwords, history,
# offline messages, pending requests and PEP arrive; ejabberd's own export
# (double-base64 SCRAM) logs in with its old password (issue 11).
add_test(NAME integration.server_prosody
  COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/integration/server_prosody.sh
          ${XPORTA_SERVERS_SCRIPT} $<TARGET_FILE:xporta-cli>
          $<TARGET_FILE:xp_populate> ${CMAKE_CURRENT_SOURCE_DIR}/data/scenarios
          ${CMAKE_CURRENT_SOURCE_DIR}/integration/xmpp_probe.py)
set_tests_properties(integration.server_prosody PROPERTIES
  SKIP_RETURN_CODE 77 TIMEOUT 600 LABELS integration)

# Whole-server moves carry the MUC service's rooms (issue 13 part 4): rooms
# made and read by an independent client (muc_rooms.py: owner form,
# affiliation lists, own affiliation, subject, MAM), server-export to a
# XEP-0519 component, server-import into an emptied Prosody (internal
# storage) and into Prosody on SQLite and PostgreSQL, seen the same; a
# second import writes nothing; exported again, the same rooms.  Its own servers directories (it stops and starts them).
add_test(NAME integration.server_rooms_prosody
  COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/integration/server_rooms_prosody.sh
          ${XPORTA_SERVERS_SCRIPT} $<TARGET_FILE:xporta-cli>
          ${CMAKE_CURRENT_SOURCE_DIR}/integration/muc_rooms.py
          ${CMAKE_CURRENT_SOURCE_DIR}/data)
set_tests_properties(integration.server_rooms_prosody PROPERTIES
  SKIP_RETURN_CODE 77 TIMEOUT 600 RUN_SERIAL TRUE LABELS integration)

# Whole-server moves carry ejabberd's rooms (issue 13 part 4): rooms made by
# slixmpp on an ejabberd on SQL (SQLite and PostgreSQL, default and new
# schema) carried by server-export/import into emptied tables (muc_room,
# muc_registered, the room archive), seen the same after the start (owner
# form, lists, own affiliation, subject, MAM); a second import writes
# nothing; --rename-host renames conference.OLD; exported again, the same
# rooms; on SQLite/new also Prosody -> ejabberd and ejabberd -> Prosody.
# Its own servers directories (it stops and starts them).
foreach(storage sqlite pgsql)
  foreach(schema default new)
    add_test(NAME integration.server_rooms_ejabberd_${storage}_${schema}
      COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/integration/server_rooms_ejabberd.sh
              ${XPORTA_SERVERS_SCRIPT} $<TARGET_FILE:xporta-cli>
              ${CMAKE_CURRENT_SOURCE_DIR}/integration/muc_rooms.py
              ${storage} ${schema})
    set_tests_properties(integration.server_rooms_ejabberd_${storage}_${schema}
      PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 600 RUN_SERIAL TRUE
      LABELS integration)
  endforeach()
endforeach()

# Prosody's SQL storage (server-export, server-import) on SQLite and on
# PostgreSQL, each mode on a Prosody of its own filled by real clients,
# stopped and started around the import, read by the slixmpp probe; then a
# copy internal -> SQLite -> PostgreSQL -> file.  Serial: it starts servers
# (ports are picked one start at a time).
add_test(NAME integration.server_sql
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/integration/server_sql.sh
          ${XPORTA_SERVERS_SCRIPT} $<TARGET_FILE:xporta-cli>
          $<TARGET_FILE:xp_populate>
          ${CMAKE_CURRENT_SOURCE_DIR}/integration/xmpp_probe.py
          ${XPORTA_TEST_DATA})
set_tests_properties(integration.server_sql PROPERTIES
  SKIP_RETURN_CODE 77 TIMEOUT 600 RUN_SERIAL TRUE LABELS integration)

# Prosody on SQL storage (issue 11), one servers directory and fixture per
# mode: servers_sqlite (Prosody on SQLite3) and servers_pgsql (Prosody on a
# private PostgreSQL 15, started by xporta-servers first).  The starts are
# RUN_SERIAL, so that no two pick ports at once; tests of the store drivers
# that need a real Prosody on SQL set FIXTURES_REQUIRED servers_sqlite or
# servers_pgsql and read ${CMAKE_BINARY_DIR}/servers-MODE/servers.env.
# The smoke test fills an account through xp_populate and reads it back
# with the independent slixmpp client xmpp_probe.py.
set(XPORTA_PROSODY_SQL_SH
  ${CMAKE_CURRENT_SOURCE_DIR}/integration/prosody_sql_live.sh)
foreach(mode sqlite pgsql)
  set(dir ${CMAKE_BINARY_DIR}/servers-${mode})
  add_test(NAME servers.${mode}.start
    COMMAND bash ${XPORTA_PROSODY_SQL_SH} start ${mode}
            ${XPORTA_SERVERS_SCRIPT} ${dir})
  set_tests_properties(servers.${mode}.start PROPERTIES
    FIXTURES_SETUP servers_${mode} SKIP_RETURN_CODE 77 TIMEOUT 120
    RUN_SERIAL TRUE LABELS integration)
  add_test(NAME servers.${mode}.stop
    COMMAND bash ${XPORTA_PROSODY_SQL_SH} stop ${mode}
            ${XPORTA_SERVERS_SCRIPT} ${dir})
  set_tests_properties(servers.${mode}.stop PROPERTIES
    FIXTURES_CLEANUP servers_${mode} TIMEOUT 120 LABELS integration)
  add_test(NAME integration.prosody_${mode}
    COMMAND bash ${XPORTA_PROSODY_SQL_SH} run ${mode}
            ${XPORTA_SERVERS_SCRIPT} ${dir} $<TARGET_FILE:xp_populate>
            ${XPORTA_TEST_DATA}/scenarios
            ${CMAKE_CURRENT_SOURCE_DIR}/integration/xmpp_probe.py)
  set_tests_properties(integration.prosody_${mode} PROPERTIES
    FIXTURES_REQUIRED servers_${mode} SKIP_RETURN_CODE 77 TIMEOUT 300
    RUN_SERIAL TRUE LABELS integration)
endforeach()

# User names as Prosody's own import reads them (issue 15): a non-ASCII
# user and one with characters Prosody's storage escapes, converted to the
# Prosody dialect, imported with prosody-migrator and logged in to with the
# old password.  Serial: the import stops and restarts Prosody.
add_test(NAME integration.prosody_names_live
  COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/integration/prosody_names_live.sh
          ${XPORTA_SERVERS_SCRIPT} ${XPORTA_SERVERS_DIR}
          $<TARGET_FILE:xporta-cli>)
set_tests_properties(integration.prosody_names_live PROPERTIES
  FIXTURES_REQUIRED servers SKIP_RETURN_CODE 77 TIMEOUT 300 RUN_SERIAL TRUE
  LABELS integration)

# A user's history beside the running server (issue 16, "History
# included"): server-import --live into Prosody's files while Prosody runs
# and the user is logged in (MAM and offline delivery seen by the slixmpp
# probe, a second run adds nothing, another user untouched, 4,500 messages
# appended while a client has Prosody archive 400 more for the same user,
# none lost), the refused stores, and xporta_account_check() on both
# servers.
add_executable(account_check integration/account_check.c)
target_link_libraries(account_check PRIVATE xporta)
target_compile_options(account_check PRIVATE ${XPORTA_WARNINGS})
add_test(NAME integration.store_live
  COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/integration/store_live.sh
          ${XPORTA_SERVERS_SCRIPT} ${XPORTA_SERVERS_DIR}
          $<TARGET_FILE:xporta-cli>
          ${CMAKE_CURRENT_SOURCE_DIR}/integration/xmpp_probe.py
          $<TARGET_FILE:account_check>
          ${CMAKE_CURRENT_SOURCE_DIR}/data/store-live.xml)
set_tests_properties(integration.store_live PROPERTIES
  FIXTURES_REQUIRED servers SKIP_RETURN_CODE 77 TIMEOUT 300
  LABELS integration)

# ejabberd's SQL storage read and written directly (issue 12), one test per
# mode (SQLite and PostgreSQL, default and new schema), server_ejabberd.sh: a
# fresh ejabberd of its own filled through real clients by fill_ejabberd.sh
# (ejabberd_sql_live.sh: as many rows per table as the committed fixture
# tests/data/ejabberd-sql/{lite,pg}-{default,new}.sql, the schema asked for);
# then xporta refuses to write under the running server, exports it, imports
# it into emptied tables (dry run first, a second run changes nothing), and
# the slixmpp probe finds everything on the restarted server.  Serial: each
# starts servers (ports are picked one start at a time).
foreach(storage sqlite pgsql)
  foreach(schema default new)
    add_test(NAME integration.server_ejabberd_${storage}_${schema}
      COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/integration/server_ejabberd.sh
              ${storage} ${schema} $<TARGET_FILE:xporta-cli>
              $<TARGET_FILE:xp_populate>
              ${CMAKE_CURRENT_SOURCE_DIR}/integration/xmpp_probe.py
              ${XPORTA_TEST_DATA} ${CMAKE_BINARY_DIR})
    set_tests_properties(integration.server_ejabberd_${storage}_${schema}
      PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 300 RUN_SERIAL TRUE
      LABELS integration)
  endforeach()
endforeach()

# The interoperability matrix (issue 12, shared/servers.md §4.3): whole
# servers moved by server-import in all four directions between Prosody
# and ejabberd, each with a host rename (ejabberd SQLite -> Prosody
# internal, Prosody internal -> ejabberd PostgreSQL new schema, ejabberd
# default -> new schema on another domain, Prosody SQLite -> ejabberd
# PostgreSQL default schema) and SCRAM-SHA-256 between ejabberds; one fill
# per source server, each target started and read by the slixmpp probe.
# Serial: it starts servers (ports are picked one start at a time).
add_test(NAME integration.server_matrix
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/integration/server_matrix.sh
          ${XPORTA_SERVERS_SCRIPT} $<TARGET_FILE:xporta-cli>
          $<TARGET_FILE:xp_populate>
          ${CMAKE_CURRENT_SOURCE_DIR}/integration/xmpp_probe.py)
set_tests_properties(integration.server_matrix PROPERTIES
  SKIP_RETURN_CODE 77 TIMEOUT 600 RUN_SERIAL TRUE LABELS integration)

# ejabberd's Mnesia storage written through the running ejabberd (issue 12),
# server_mnesia.sh: refused while ejabberd is stopped; a real ejabberd's SQL
# data (lite-new.sql) and Prosody's internal storage (renamed to the second
# vhost) loaded with `ejabberdctl load`; the slixmpp probe checks alice
# against the source rows.  Serial: it starts a server.
add_test(NAME integration.server_mnesia
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/integration/server_mnesia.sh
          $<TARGET_FILE:xporta-cli>
          ${CMAKE_CURRENT_SOURCE_DIR}/integration/xmpp_probe.py
          ${XPORTA_TEST_DATA} ${CMAKE_BINARY_DIR})
set_tests_properties(integration.server_mnesia
  PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 300 RUN_SERIAL TRUE
  LABELS integration)

# xporta serve through its HTTP API on Prosody: tokens, CSRF, a move with
# Moved read over SSE (and a reconnect), a download checked, an import, the
# upload ceiling, a clean stop (tests/integration/serve_live.sh).
add_test(NAME integration.serve_live
  COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/integration/serve_live.sh
          ${XPORTA_SERVERS_SCRIPT} ${XPORTA_SERVERS_DIR}
          $<TARGET_FILE:xporta-cli> $<TARGET_FILE:xp_populate>
          ${CMAKE_CURRENT_SOURCE_DIR}/data/scenarios)
set_tests_properties(integration.serve_live PROPERTIES
  FIXTURES_REQUIRED servers SKIP_RETURN_CODE 77 TIMEOUT 600
  LABELS integration)

# xporta serve as a provider's portal (--listen) on Prosody: logins checked
# by the server over SASL and rate-limited, sessions kept apart, files
# deleted after a download or at --file-ttl, Origin checks, and with
# --store prosody:DIR a history imported beside the running server and
# seen over MAM (tests/integration/portal_live.sh).
add_test(NAME integration.portal_live
  COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/integration/portal_live.sh
          ${XPORTA_SERVERS_SCRIPT} ${XPORTA_SERVERS_DIR}
          $<TARGET_FILE:xporta-cli>
          ${CMAKE_CURRENT_SOURCE_DIR}/integration/xmpp_probe.py
          ${CMAKE_CURRENT_SOURCE_DIR}/data/store-live.xml)
set_tests_properties(integration.portal_live PROPERTIES
  FIXTURES_REQUIRED servers SKIP_RETURN_CODE 77 TIMEOUT 300
  LABELS integration)

# The portal in Chromium (tests/browser/portal.test.js): the login page,
# a wrong password in words, the page of a logged-in account, the logout.
add_test(NAME browser.portal
  COMMAND node ${PROJECT_SOURCE_DIR}/tests/browser/portal.test.js
          $<TARGET_FILE:xporta-cli> ${XPORTA_SERVERS_SCRIPT}
          ${XPORTA_SERVERS_DIR} ${CMAKE_BINARY_DIR}/browser/work-portal)
set_tests_properties(browser.portal PROPERTIES
  FIXTURES_REQUIRED "servers;browser" SKIP_RETURN_CODE 77 TIMEOUT 120
  LABELS browser
  ENVIRONMENT "NODE_PATH=${CMAKE_BINARY_DIR}/browser/node_modules")
