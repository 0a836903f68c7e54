# Run at install time (from install(CODE) in CMakeLists.txt): writes
# lcanvas.pc and lcanvas-lua.pc for the prefix being installed to.
# Inputs: PC_VERSION, PC_*_REL (relative to the prefix, or absolute), PC_SRC.
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
set(_pcdir "$ENV{DESTDIR}${PC_LIBDIR}/pkgconfig")
file(MAKE_DIRECTORY "${_pcdir}")
foreach(_pc lcanvas lcanvas-lua)
  message(STATUS "Installing: ${_pcdir}/${_pc}.pc")
  configure_file("${PC_SRC}/${_pc}.pc.in" "${_pcdir}/${_pc}.pc" @ONLY)
  list(APPEND CMAKE_INSTALL_MANIFEST_FILES "${_pcdir}/${_pc}.pc")
endforeach()
