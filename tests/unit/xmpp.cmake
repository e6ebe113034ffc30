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
