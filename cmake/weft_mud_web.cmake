# weft-mud's browser terminal: the page (apps/weft-mud/web/), xterm.js and its fit addon from the
# root node_modules, and the Amiga font with its licence from Debian's fonts-amiga, copied into
# one directory that weft-mud serves (no CDN: the page needs nothing but the server).
#
# Two ways in:
#   include(cmake/weft_mud_web.cmake)      defines the target weft_mud_web, which copies into
#                                          ${CMAKE_BINARY_DIR}/apps/weft-mud/web/
#   cmake -DWEFT_SOURCE_DIR=<repo> -DWEFT_WEB_OUT=<dir> -P cmake/weft_mud_web.cmake
#                                          copies once, now (the target runs exactly this).
# A missing input fails the copy and names the package that provides it.

set(WEFT_MUD_FONT_CANDIDATES
  /usr/share/fonts/truetype/amiga/Amiga-Regular.ttf
  /usr/share/fonts/truetype/fonts-amiga/Amiga-Regular.ttf)
set(WEFT_MUD_FONT_LICENCE /usr/share/doc/fonts-amiga/copyright)

function(weft_mud_web_inputs source_dir out_var)
  if(CMAKE_SCRIPT_MODE_FILE)
    file(GLOB page ${source_dir}/apps/weft-mud/web/*)
  else()
    file(GLOB page CONFIGURE_DEPENDS ${source_dir}/apps/weft-mud/web/*)
  endif()
  list(FILTER page EXCLUDE REGEX "/CMakeLists.txt$")
  set(${out_var}
    ${page}
    ${source_dir}/node_modules/@xterm/xterm/lib/xterm.js
    ${source_dir}/node_modules/@xterm/xterm/css/xterm.css
    ${source_dir}/node_modules/@xterm/addon-fit/lib/addon-fit.js
    PARENT_SCOPE)
endfunction()

function(weft_mud_web_font out_var)
  foreach(f ${WEFT_MUD_FONT_CANDIDATES})
    if(EXISTS ${f})
      set(${out_var} ${f} PARENT_SCOPE)
      return()
    endif()
  endforeach()
  set(${out_var} "" PARENT_SCOPE)
endfunction()

if(CMAKE_SCRIPT_MODE_FILE)
  # The copy itself.
  if(NOT WEFT_SOURCE_DIR OR NOT WEFT_WEB_OUT)
    message(FATAL_ERROR "weft_mud_web: pass -DWEFT_SOURCE_DIR=<repo> -DWEFT_WEB_OUT=<dir>")
  endif()
  weft_mud_web_inputs(${WEFT_SOURCE_DIR} inputs)
  foreach(f ${inputs})
    if(NOT EXISTS ${f})
      message(FATAL_ERROR "weft_mud_web: ${f} is missing (run `make deps`: npm ci installs xterm.js)")
    endif()
  endforeach()
  weft_mud_web_font(font)
  if(NOT font OR NOT EXISTS ${WEFT_MUD_FONT_LICENCE})
    message(FATAL_ERROR "weft_mud_web: the Amiga font is missing (apt-get install fonts-amiga, or `make deps`)")
  endif()
  file(MAKE_DIRECTORY ${WEFT_WEB_OUT})
  file(COPY ${inputs} ${font} DESTINATION ${WEFT_WEB_OUT})
  # The font's licence (SIL OFL 1.1, as Debian ships it) travels with the font.
  configure_file(${WEFT_MUD_FONT_LICENCE} ${WEFT_WEB_OUT}/OFL.txt COPYONLY)
  file(TOUCH ${WEFT_WEB_OUT}/.copied)
  return()
endif()

if(TARGET weft_mud_web)
  return()
endif()
set(WEFT_MUD_WEB_SCRIPT ${CMAKE_CURRENT_LIST_FILE})
set(WEFT_MUD_WEB_DIR ${CMAKE_BINARY_DIR}/apps/weft-mud/web)
weft_mud_web_inputs(${PROJECT_SOURCE_DIR} WEFT_MUD_WEB_INPUTS)
weft_mud_web_font(WEFT_MUD_WEB_FONT)
add_custom_command(
  OUTPUT ${WEFT_MUD_WEB_DIR}/.copied
  COMMAND ${CMAKE_COMMAND} -DWEFT_SOURCE_DIR=${PROJECT_SOURCE_DIR} -DWEFT_WEB_OUT=${WEFT_MUD_WEB_DIR}
          -P ${WEFT_MUD_WEB_SCRIPT}
  DEPENDS ${WEFT_MUD_WEB_INPUTS} ${WEFT_MUD_WEB_FONT} ${WEFT_MUD_WEB_SCRIPT}
  COMMENT "Copying weft-mud's browser terminal into ${WEFT_MUD_WEB_DIR}"
  VERBATIM)
add_custom_target(weft_mud_web ALL DEPENDS ${WEFT_MUD_WEB_DIR}/.copied)
