#  What 'cmake --install' puts beside the binaries (each binary installs
#  itself in its folder's CMakeLists.txt): the man pages, the bash
#  completion and the SQL migrations. The migrations are compiled into
#  the binaries too; the copy is for operators and DBAs who read them.
include (GNUInstallDirs)

foreach (page watershed.1 watershed.conf.5 watershedd.8 watershed-worker.8)
    string (REGEX MATCH "[0-9]$" section ${page})
    install (FILES ${CMAKE_SOURCE_DIR}/man/${page}
             DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section})
endforeach ()

install (FILES ${CMAKE_SOURCE_DIR}/completion/watershed.bash
         DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
         RENAME watershed)

install (DIRECTORY ${CMAKE_SOURCE_DIR}/sql/
         DESTINATION ${CMAKE_INSTALL_DATADIR}/watershed/sql
         FILES_MATCHING PATTERN "*.sql")
