# ctest registrations for the installer, the systemd unit and the packages. Included from
# cmake/packaging.cmake: tests/CMakeLists.txt makes test executables only of folders with .cpp files.
#   installer.unit_security  unit  systemd-analyze security --offline: exposure 3.0 or lower ("OK"),
#                                  no directive systemd does not know, sysusers/tmpfiles parse
#   installer.shellcheck     unit  every shell script in scripts/, installer/, .ci/ and tests/
#   installer.packages       unit  cpack -G DEB (and RPM when rpmbuild exists): files, modes, depends
#   installer.systemd        e2e   scripts/test-installer: install.sh under a real systemd in a container
# The first three skip visibly (exit 77) when their tool is missing, except in CI (CI=true).
# All four carry the label `installer` too (scripts/test-asan leaves them out: `-LE installer`).

set(berth_installer_tests ${CMAKE_CURRENT_LIST_DIR})

add_test(NAME installer.unit_security
         COMMAND ${berth_installer_tests}/check-unit.sh ${PROJECT_SOURCE_DIR}/systemd)
add_test(NAME installer.shellcheck
         COMMAND ${berth_installer_tests}/check-shellcheck.sh ${PROJECT_SOURCE_DIR})
add_test(NAME installer.packages
         COMMAND ${berth_installer_tests}/check-packages.sh ${CMAKE_BINARY_DIR} $<TARGET_FILE:berth>)
set_tests_properties(installer.unit_security installer.shellcheck installer.packages
                     PROPERTIES LABELS "unit;installer" SKIP_RETURN_CODE 77 TIMEOUT 120)

add_test(NAME installer.systemd
         COMMAND ${PROJECT_SOURCE_DIR}/scripts/test-installer --binary $<TARGET_FILE:berth>)
# The first run builds and caches the Debian rootfs (a few minutes); later runs take about 30 s.
set_tests_properties(installer.systemd PROPERTIES LABELS "e2e;installer" SKIP_RETURN_CODE 77 TIMEOUT 900)
