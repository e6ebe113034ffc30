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
  PkgConfig::STROPHE OpenSSL::Crypto)

# The fake server itself: each kind written with the real builders and read
# back with the real decoders, faults, and the read job against it.
add_executable(test_fake_session unit/test_fake_session.c unit/test_util.c)
target_include_directories(test_fake_session PRIVATE unit
  ${PROJECT_SOURCE_DIR}/lib)
target_compile_definitions(test_fake_session PRIVATE
  XPORTA_TEST_DATA="${XPORTA_TEST_DATA}")
target_link_libraries(test_fake_session PRIVATE xporta_fake PkgConfig::CMOCKA
  PkgConfig::STROPHE)
target_compile_options(test_fake_session PRIVATE ${XPORTA_WARNINGS})
xporta_test_emulator(test_fake_session)
add_test(NAME unit.test_fake_session COMMAND test_fake_session)
set_tests_properties(unit.test_fake_session PROPERTIES LABELS unit)

# Whole jobs against the fake: migrate, import, dry run, conflicts, a stop
# at every journal step, every allocation failing in turn.
add_executable(test_job_migrate unit/test_job_migrate.c unit/test_util.c)
target_include_directories(test_job_migrate PRIVATE unit
  ${PROJECT_SOURCE_DIR}/lib)
target_compile_definitions(test_job_migrate PRIVATE
  XPORTA_TEST_DATA="${XPORTA_TEST_DATA}")
target_link_libraries(test_job_migrate PRIVATE xporta_fake xporta_allocfail
  PkgConfig::CMOCKA PkgConfig::STROPHE)
target_compile_options(test_job_migrate PRIVATE ${XPORTA_WARNINGS})
xporta_test_emulator(test_job_migrate)
add_test(NAME unit.test_job_migrate COMMAND test_job_migrate)
set_tests_properties(unit.test_job_migrate PROPERTIES LABELS unit)
