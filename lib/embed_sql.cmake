#  Writes OUT: a C array of the migrations in FILES (sorted), as
#  ws_sql_file_t {version, name, text} for ws_migrate.
set (body "//  Generated from sql/ by embed_sql.cmake; do not edit.\n#include \"ws_migrate.h\"\n\nconst ws_sql_file_t ws_sql_files[] = {\n")
set (count 0)
foreach (file ${FILES})
    get_filename_component (name ${file} NAME)
    string (REGEX MATCH "^([0-9]+)_" _ ${name})
    set (version ${CMAKE_MATCH_1})
    math (EXPR version "${version}")
    file (READ ${file} text HEX)
    string (REGEX REPLACE "([0-9a-f][0-9a-f])" "\\\\x\\1" text "${text}")
    #  Split the literal every 400 bytes so lines stay short.
    string (REGEX REPLACE "((\\\\x[0-9a-f][0-9a-f]){100})" "\\1\"\n        \"" text "${text}")
    string (APPEND body "    {${version}, \"${name}\",\n        \"${text}\"},\n")
    math (EXPR count "${count} + 1")
endforeach ()
string (APPEND body "};\nconst int ws_sql_file_count = ${count};\n")
file (WRITE ${OUT} "${body}")
