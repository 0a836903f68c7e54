# Run at install time (from install(CODE) in CMakeLists.txt): writes
# lcanvas.pc and lcanvas-lua.pc for the prefix being installed to.
# Inputs: PC_VERSION, PC_*_REL (relative to the prefix, or absolute), PC_SRC,
# PC_SYSTEM_LIBDIRS (the compiler's own library directories).
function(_lc_abs out rel)
  if(IS_ABSOLUTE "${rel}")
    set(${out} "${rel}" PARENT_SCOPE)
  else()
    set(${out} "${CMAKE_INSTALL_PREFIX}/${rel}" PARENT_SCOPE)
  endif()
endfunction()

set(PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
_lc_abs(PC_LIBDIR "${PC_LIBDIR_REL}")
_lc_abs(PC_INCLUDEDIR "${PC_INCDIR_REL}")
_lc_abs(PC_LUADIR "${PC_LUADIR_REL}")
_lc_abs(PC_CMODDIR "${PC_CMODDIR_REL}")
# A program linked against a prefix the dynamic loader does not search
# must find liblcanvas.so without LD_LIBRARY_PATH: the .pc file then adds
# an RPATH to the prefix's lib directory.
set(PC_RPATH "")
list(FIND PC_SYSTEM_LIBDIRS "${PC_LIBDIR}" _sys)
if(_sys EQUAL -1 AND NOT PC_LIBDIR MATCHES "^/(usr/)?lib(64)?(/[^/]+-linux-gnu)?$")
  set(PC_RPATH "-Wl,-rpath,\${libdir}")
endif()
set(_pcdir "$ENV{DESTDIR}${PC_LIBDIR}/pkgconfig")
file(MAKE_DIRECTORY "${_pcdir}")
foreach(_pc lcanvas lcanvas-lua)
  message(STATUS "Installing: ${_pcdir}/${_pc}.pc")
  configure_file("${PC_SRC}/${_pc}.pc.in" "${_pcdir}/${_pc}.pc" @ONLY)
  list(APPEND CMAKE_INSTALL_MANIFEST_FILES "${_pcdir}/${_pc}.pc")
endforeach()
