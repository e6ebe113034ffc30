# lib/xmpp unit tests: stanza conversion, IQ errors, reply addressing.
# Pure (no network); included from tests/CMakeLists.txt.
add_executable(test_xmpp_stanza unit/test_xmpp_stanza.c)
target_link_libraries(test_xmpp_stanza PRIVATE xporta_testutil
  PkgConfig::STROPHE)
target_compile_options(test_xmpp_stanza PRIVATE ${XPORTA_WARNINGS})
add_test(NAME unit.test_xmpp_stanza COMMAND test_xmpp_stanza)
set_tests_properties(unit.test_xmpp_stanza PROPERTIES LABELS unit)

# lib/xmpp request builders and reply decoders (xmpp_kinds.h), fed replies
# captured from the real servers (tests/data/stanzas).
add_executable(test_xmpp_kinds unit/test_xmpp_kinds.c)
target_link_libraries(test_xmpp_kinds PRIVATE xporta_testutil
  PkgConfig::STROPHE)
target_compile_options(test_xmpp_kinds PRIVATE ${XPORTA_WARNINGS})
xporta_test_emulator(test_xmpp_kinds)
add_test(NAME unit.test_xmpp_kinds COMMAND test_xmpp_kinds)
set_tests_properties(unit.test_xmpp_kinds PROPERTIES LABELS unit)

# lib/xmpp group chats and bookmarks (xmpp_muc.h): builders serialised,
# decoders fed replies captured from the real servers (tests/data/stanzas,
# <server>-muc-*.xml) and synthetic malformed ones.
add_executable(test_xmpp_muc unit/test_xmpp_muc.c)
target_link_libraries(test_xmpp_muc PRIVATE xporta_testutil
  PkgConfig::STROPHE)
target_compile_options(test_xmpp_muc PRIVATE ${XPORTA_WARNINGS})
xporta_test_emulator(test_xmpp_muc)
add_test(NAME unit.test_xmpp_muc COMMAND test_xmpp_muc)
set_tests_properties(unit.test_xmpp_muc PROPERTIES LABELS unit)

# lib/xmpp restore builders (xmpp_kinds.h, "Restoring"): exact payloads of
# the IQ sets an import sends, from records of the captured replies.
add_executable(test_xmpp_restore unit/test_xmpp_restore.c)
target_link_libraries(test_xmpp_restore PRIVATE xporta_testutil
  PkgConfig::STROPHE)
target_compile_options(test_xmpp_restore PRIVATE ${XPORTA_WARNINGS})
xporta_test_emulator(test_xmpp_restore)
add_test(NAME unit.test_xmpp_restore COMMAND test_xmpp_restore)
set_tests_properties(unit.test_xmpp_restore PROPERTIES LABELS unit)

# The fake server (tests/fake): every object of the library but the session,
# with lib/xmpp/xmpp_session.c swapped for an in-memory XMPP server, so that
# unit tests run the codecs and whole jobs with no network.  Test programs
# link xporta_fake (and cmocka), never xporta.
add_library(xporta_fake STATIC $<TARGET_OBJECTS:xporta_core>
  ${CMAKE_CURRENT_SOURCE_DIR}/fake/fake_session.c
  ${CMAKE_CURRENT_SOURCE_DIR}/fake/fake_server.c
  ${CMAKE_CURRENT_SOURCE_DIR}/fake/fake_store.c
  ${CMAKE_CURRENT_SOURCE_DIR}/fake/fake_pubsub.c)
target_include_directories(xporta_fake
  PUBLIC ${PROJECT_SOURCE_DIR}/include ${CMAKE_CURRENT_SOURCE_DIR}/fake
  PRIVATE ${PROJECT_SOURCE_DIR}/lib)
target_compile_options(xporta_fake PRIVATE ${XPORTA_WARNINGS})
target_link_libraries(xporta_fake PRIVATE PkgConfig::EXPAT Threads::Threads
  PkgConfig::STROPHE PkgConfig::SQLITE3 PkgConfig::LIBPQ OpenSSL::Crypto)

# A unit test against the fake: xporta_fake_test(NAME [LIBS...]) builds
# unit/NAME.c (with test_util.c: xporta_testutil links the real xporta).
function(xporta_fake_test name)
  add_executable(${name} unit/${name}.c unit/test_util.c)
  target_include_directories(${name} PRIVATE unit ${PROJECT_SOURCE_DIR}/lib)
  target_compile_definitions(${name} PRIVATE
    XPORTA_TEST_DATA="${XPORTA_TEST_DATA}")
  target_link_libraries(${name} PRIVATE xporta_fake ${ARGN} PkgConfig::CMOCKA
    PkgConfig::STROPHE)
  target_compile_options(${name} PRIVATE ${XPORTA_WARNINGS})
  xporta_test_emulator(${name})
  add_test(NAME unit.${name} COMMAND ${name})
  set_tests_properties(unit.${name} PROPERTIES LABELS unit)
endfunction()

# The fake server itself: each kind written with the real builders and read
# back with the real decoders, faults, and the read job against it.
xporta_fake_test(test_fake_session)
# Whole jobs against the fake: migrate, import, dry run, conflicts, a stop
# at every journal step, every allocation failing in turn.
xporta_fake_test(test_job_migrate xporta_allocfail)
# follow-moves' JID comparisons, export's progress.
xporta_fake_test(test_job_live)
