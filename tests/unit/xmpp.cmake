# lib/xmpp unit tests: stanza conversion, IQ errors, reply addressing.
# Pure (no network); included from tests/CMakeLists.txt.
add_executable(test_xmpp_stanza unit/test_xmpp_stanza.c)
target_link_libraries(test_xmpp_stanza PRIVATE xporta_testutil
  PkgConfig::STROPHE)
target_compile_options(test_xmpp_stanza PRIVATE ${XPORTA_WARNINGS})
add_test(NAME unit.test_xmpp_stanza COMMAND test_xmpp_stanza)
set_tests_properties(unit.test_xmpp_stanza PROPERTIES LABELS unit)
