#  Writes OUT: a C array of the migrations in FILES (sorted), as
#  ws_sql_file_t {version, name, text} for ws_migrate, ending in a
#  {0, NULL, NULL} entry (so the array is never empty). Fails the build
#  on a file name without a leading number, or on versions that are not
#  strictly increasing in file name order (ws_migrate applies them in
#  array order): zero-pad the numbers, 0010_x.sql.
#  The files are globbed here, not passed in: a list in a custom
#  command's argument would be split at its semicolons.
file (GLOB FILES ${SQL_DIR}/*.sql)
list (SORT FILES)
set (body "//  Generated from sql/ by embed_sql.cmake; do not edit.\n#include \"ws_migrate.h\"\n\n#include <stddef.h>\n\nconst ws_sql_file_t ws_sql_files[] = {\n")
set (count 0)
set (previous 0)
set (previous_name "")
foreach (file ${FILES})
    get_filename_component (name "${file}" NAME)
    if (NOT name MATCHES "^([0-9]+)_[^\"\\\\]*\\.sql$")
        message (FATAL_ERROR "sql/${name}: a migration is named NNNN_what.sql")
    endif ()
    math (EXPR version "${CMAKE_MATCH_1}")
    if (NOT version GREATER previous)
        message (FATAL_ERROR "sql/${name}: version ${version} does not follow "
                 "${previous_name} (${previous}); versions must be unique "
                 "and zero-padded so that name order is version order")
    endif ()
    set (previous ${version})
    set (previous_name ${name})
    file (READ "${file}" hex HEX)
    #  Every byte as \xNN (no quoting rules to get wrong), 100 bytes per
    #  line. CMake regexes have no {n}, so cut the hex text into slices.
    string (LENGTH "${hex}" hex_length)
    set (literal "")
    set (position 0)
    while (position LESS hex_length)
        string (SUBSTRING "${hex}" ${position} 200 slice)
        string (REGEX REPLACE "([0-9a-f][0-9a-f])" "\\\\x\\1" slice "${slice}")
        string (APPEND literal "\n        \"${slice}\"")
        math (EXPR position "${position} + 200")
    endwhile ()
    if (literal STREQUAL "")
        set (literal " \"\"")
    endif ()
    string (APPEND body "    {${version}, \"${name}\",${literal}},\n")
    math (EXPR count "${count} + 1")
endforeach ()
string (APPEND body "    {0, NULL, NULL}};\nconst int ws_sql_file_count = ${count};\n")
file (WRITE "${OUT}" "${body}")
