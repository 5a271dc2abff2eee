# cmake/install.cmake: what `cmake --install` (and `make install PREFIX=...`) puts in place:
# libflatline.so.<ABI> and libflatline.a, the public headers of the memory layer, a pkg-config
# file (flatline.pc) and a CMake package (find_package(flatline): flatline::flatline).
# Included from the top-level CMakeLists.txt after the layers are defined.
include(CMakePackageConfigHelpers)

install(TARGETS flatline flatline_static EXPORT flatline-targets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${PROJECT_SOURCE_DIR}/include/flatline/mem.h
              ${PROJECT_SOURCE_DIR}/include/flatline/version.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/flatline)

set(flatline_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/flatline)
install(EXPORT flatline-targets NAMESPACE flatline:: DESTINATION ${flatline_cmake_dir})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/flatline-config.cmake.in
                              ${PROJECT_BINARY_DIR}/flatline-config.cmake
                              INSTALL_DESTINATION ${flatline_cmake_dir})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/flatline-config-version.cmake
                                 VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/flatline-config.cmake
              ${PROJECT_BINARY_DIR}/flatline-config-version.cmake
        DESTINATION ${flatline_cmake_dir})

# pkg-config: the prefix is the one given at install time (cmake --install --prefix P), so the
# file is written then, not at configure time.
install(CODE "
  set(CMAKE_INSTALL_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
  set(CMAKE_INSTALL_LIBDIR \"${CMAKE_INSTALL_LIBDIR}\")
  set(CMAKE_INSTALL_INCLUDEDIR \"${CMAKE_INSTALL_INCLUDEDIR}\")
  set(PROJECT_VERSION \"${PROJECT_VERSION}\")
  configure_file(\"${PROJECT_SOURCE_DIR}/cmake/flatline.pc.in\"
                 \"${PROJECT_BINARY_DIR}/flatline.pc\" @ONLY)
  file(INSTALL \"${PROJECT_BINARY_DIR}/flatline.pc\"
       DESTINATION \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/pkgconfig\")
")
