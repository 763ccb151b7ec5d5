# Writes OUT with EP_GIT_HASH: the commit of SOURCE_DIR ("-dirty" when tracked files differ),
# or "unknown" outside a git checkout. Rewritten only when it changes, so that an unchanged
# tree recompiles nothing. Run at every build by the ep_git_hash target (CMakeLists.txt).
set(hash "unknown")
find_program(GIT git)
if(GIT)
  execute_process(COMMAND ${GIT} -C ${SOURCE_DIR} rev-parse --short=12 HEAD
                  OUTPUT_VARIABLE head OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET
                  RESULT_VARIABLE rc)
  if(rc EQUAL 0 AND head)
    set(hash ${head})
    execute_process(COMMAND ${GIT} -C ${SOURCE_DIR} status --porcelain --untracked-files=no
                    OUTPUT_VARIABLE changes ERROR_QUIET)
    if(changes)
      set(hash "${hash}-dirty")
    endif()
  endif()
endif()
file(WRITE ${OUT}.tmp "#define EP_GIT_HASH \"${hash}\"\n")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different ${OUT}.tmp ${OUT})
file(REMOVE ${OUT}.tmp)
