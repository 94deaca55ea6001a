# Install layout and Debian packages (docs/packages.md).
#
#   cmake --install build --prefix /usr --component daemon      cardbridged, web UI, user unit, autostart
#   cmake --install build --prefix /usr --component authority   cardbridge-authority, its system unit
#   cmake --build build --target debs                           build/packages/cardbridge_*.deb and
#                                                               cardbridge-authority_*.deb (CPack DEB)
#
# cardbridged finds its web UI relative to its own binary (<bindir>/../share/cardbridge/webui): installed
# that is /usr/share/cardbridge/webui; in the build tree build/share/cardbridge/webui links to the sources'
# webui/ (the binary is build/daemon/cardbridged). No source or build path is compiled in.

file(MAKE_DIRECTORY ${PROJECT_BINARY_DIR}/share/cardbridge)
file(CREATE_LINK ${PROJECT_SOURCE_DIR}/webui ${PROJECT_BINARY_DIR}/share/cardbridge/webui SYMBOLIC)

# --- cardbridge: the daemon and everything a user's machine needs --------------------------------------
install(TARGETS cardbridged RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT daemon)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/webui/ DESTINATION ${CMAKE_INSTALL_DATADIR}/cardbridge/webui
        COMPONENT daemon)
install(FILES README.md docs/api.md docs/config.md docs/sdk.md docs/security.md
        DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/cardbridge COMPONENT daemon)

# --- cardbridge-authority: the CA's service -------------------------------------------------------------
install(TARGETS cardbridge-authority RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT authority)
cardbridge_install_configured(service/linux/cardbridge-authority.service.in
                              DESTINATION lib/systemd/system COMPONENT authority)
cardbridge_configure_for_test(${PROJECT_SOURCE_DIR}/service/linux/cardbridge-authority.service.in
                              ${PROJECT_BINARY_DIR}/service/test/cardbridge-authority.service
                              ${PROJECT_BINARY_DIR}/authority/app)
set(authority_docs docs/authority-api.md)
if(EXISTS ${PROJECT_SOURCE_DIR}/docs/operations.md)
  list(APPEND authority_docs docs/operations.md)
endif()
install(FILES ${authority_docs} DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/cardbridge-authority
        COMPONENT authority)
install(FILES service/linux/authority.example.json RENAME authority.json
        DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/cardbridge-authority/examples COMPONENT authority)

# --- CPack: one .deb per component ----------------------------------------------------------------------
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME cardbridge)
set(CPACK_PACKAGE_VENDOR "cardbridge")
set(CPACK_PACKAGE_CONTACT "cardbridge maintainers <cardbridge@localhost>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_PACKAGE_DIRECTORY ${PROJECT_BINARY_DIR}/packages)
set(CPACK_COMPONENTS_ALL daemon authority)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION misc)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# The build keeps line tables (-g1); the packages ship stripped binaries.
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS OFF)
set(CPACK_DEBIAN_DAEMON_PACKAGE_NAME cardbridge)
set(CPACK_DEBIAN_DAEMON_DESCRIPTION
    "unlock a certificate key (USB key / smart card) from the browser\n cardbridged: a local service that owns the card reader (PC/SC) and serves a TLS\n WebSocket API and a web UI on 127.0.0.1 for reading certificates, changing PINs\n and the online 忘记密码 unlock; a systemd user unit and an XDG autostart entry.")
# pcscd: the card reader service; libnss3-tools: certutil, for the NSS database Chromium reads;
# ca-certificates: update-ca-certificates, for the system store.
set(CPACK_DEBIAN_DAEMON_PACKAGE_DEPENDS "pcscd, libnss3-tools, ca-certificates")
set(CPACK_DEBIAN_DAEMON_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/service/debian/cardbridge/postinst
    ${PROJECT_SOURCE_DIR}/service/debian/cardbridge/prerm
    ${PROJECT_SOURCE_DIR}/service/debian/cardbridge/postrm)
set(CPACK_DEBIAN_AUTHORITY_PACKAGE_NAME cardbridge-authority)
set(CPACK_DEBIAN_AUTHORITY_DESCRIPTION
    "cardbridge online unlock authority (CA side)\n Certificate registry, handler matching, SMS codes, document review with\n reviewers' pages, PUK custody and audit, on SQLite, as a systemd system service.")
set(CPACK_DEBIAN_AUTHORITY_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_AUTHORITY_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/service/debian/cardbridge-authority/postinst
    ${PROJECT_SOURCE_DIR}/service/debian/cardbridge-authority/prerm
    ${PROJECT_SOURCE_DIR}/service/debian/cardbridge-authority/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)

# `cmake --build build --target debs`: both packages into build/packages/.
add_custom_target(debs
  COMMAND ${CMAKE_CPACK_COMMAND} --config ${PROJECT_BINARY_DIR}/CPackConfig.cmake -B ${PROJECT_BINARY_DIR}/packages
  DEPENDS cardbridged cardbridge-authority
  WORKING_DIRECTORY ${PROJECT_BINARY_DIR}
  COMMENT "Building the .deb packages into build/packages/"
  USES_TERMINAL)
