# Test tools (paths from tests/): xp_populate runs scenario scripts
# (tests/data/scenarios) against the real servers of tests/servers through
# lib/xmpp.  Included from tests/integration/integration.cmake.
add_library(xporta_tools STATIC tools/xp_tools.c)
target_include_directories(xporta_tools PUBLIC tools)
target_compile_options(xporta_tools PRIVATE ${XPORTA_WARNINGS})

add_executable(xp_populate tools/xp_populate.c)
target_include_directories(xp_populate PRIVATE ${PROJECT_SOURCE_DIR}/lib)
target_link_libraries(xp_populate PRIVATE xporta xporta_tools
  PkgConfig::EXPAT)
target_compile_options(xp_populate PRIVATE ${XPORTA_WARNINGS})
