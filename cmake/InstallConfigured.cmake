# cardbridge_install_configured(<template.in> DESTINATION <dir relative to the prefix, or absolute>
#                               COMPONENT <component> [RENAME <name>])
#
# Installs a unit or desktop file whose @CMAKE_INSTALL_FULL_BINDIR@ (and @CMAKE_INSTALL_PREFIX@) are filled
# in AT INSTALL TIME, from the prefix the install really uses: `cmake --install build --prefix /usr` and
# CPack's /usr both get /usr/bin, while the build folder itself was configured for /usr/local.
# Configure-time copies for tests: cardbridge_configure_for_test().
include(GNUInstallDirs)

function(cardbridge_install_configured template)
  cmake_parse_arguments(A "" "DESTINATION;COMPONENT;RENAME" "" ${ARGN})
  get_filename_component(template "${template}" ABSOLUTE)
  if(A_RENAME)
    set(name "${A_RENAME}")
  else()
    get_filename_component(name "${template}" NAME)
    string(REGEX REPLACE "\\.in$" "" name "${name}")
  endif()
  set(stage "${PROJECT_BINARY_DIR}/install-stage/${A_COMPONENT}")
  install(CODE "
    set(CMAKE_INSTALL_FULL_BINDIR \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}\")
    configure_file(\"${template}\" \"${stage}/${name}\" @ONLY)
    if(IS_ABSOLUTE \"${A_DESTINATION}\")
      set(destination \"${A_DESTINATION}\")
    else()
      set(destination \"\${CMAKE_INSTALL_PREFIX}/${A_DESTINATION}\")
    endif()
    file(INSTALL DESTINATION \"\${destination}\" TYPE FILE FILES \"${stage}/${name}\")
  " COMPONENT ${A_COMPONENT})
endfunction()

# cardbridge_configure_for_test(<template.in> <output> <bindir>): the same template with the build
# tree's binary folder, for `systemd-analyze verify` (which checks that ExecStart exists).
function(cardbridge_configure_for_test template output bindir)
  set(CMAKE_INSTALL_FULL_BINDIR "${bindir}")
  set(CMAKE_INSTALL_PREFIX "${PROJECT_BINARY_DIR}")
  configure_file("${template}" "${output}" @ONLY)
endfunction()
