# Embeds the page of xporta serve into a C file (no xxd):
#   cmake -DOUT=FILE -DDIR=web/assets -P embed_assets.cmake
# Each asset becomes a NUL-terminated byte array and a row of xs_assets
# (web/serve_srv.h): its URL path, its type, its bytes.
set(ASSETS "/index.html|text/html|${DIR}/index.html"
           "/app.css|text/css|${DIR}/app.css"
           "/app.js|text/javascript|${DIR}/app.js"
           "/login.html|text/html|${DIR}/login.html"
           "/login.js|text/javascript|${DIR}/login.js"
           "/portal.js|text/javascript|${DIR}/portal.js")
set(body "/* Generated from web/assets by cmake/embed_assets.cmake. */\n#include \"serve_srv.h\"\n\n")
set(rows "")
set(i 0)
foreach(entry ${ASSETS})
  string(REPLACE "|" ";" parts "${entry}")
  list(GET parts 0 name)
  list(GET parts 1 type)
  list(GET parts 2 path)
  file(READ "${path}" hex HEX)
  string(LENGTH "${hex}" hexlen)
  math(EXPR len "${hexlen} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(REGEX REPLACE "((0x[0-9a-f][0-9a-f],){16})" "\\1\n" bytes "${bytes}")
  string(APPEND body "static const unsigned char asset_${i}[] = {\n${bytes}0x00};\n")
  string(APPEND rows "    {\"${name}\", \"${type}\", asset_${i}, ${len}},\n")
  math(EXPR i "${i} + 1")
endforeach()
string(APPEND body "\nconst struct xs_asset xs_assets[] = {\n${rows}    {NULL, NULL, NULL, 0},\n};\n")
file(WRITE "${OUT}.tmp" "${body}")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")
