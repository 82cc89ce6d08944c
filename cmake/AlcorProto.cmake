# alcor_proto_library(name IMPORT_DIR dir PROTOS a.proto b.proto ... [GRPC])
# Compiles the protos with protoc (and the gRPC C++ plugin) into a static library. Files import
# each other by bare name relative to IMPORT_DIR, as Alcor's schema does; generated headers are
# included as "<prefix>/<file>.pb.h" where prefix is the IMPORT_DIR relative to proto/.
function(alcor_proto_library name)
  cmake_parse_arguments(ARG "GRPC" "IMPORT_DIR;INCLUDE_PREFIX" "PROTOS" ${ARGN})
  set(out_dir ${CMAKE_BINARY_DIR}/gen/${ARG_INCLUDE_PREFIX})
  file(MAKE_DIRECTORY ${out_dir})
  set(srcs)
  set(all_protos)
  foreach(p IN LISTS ARG_PROTOS)
    list(APPEND all_protos ${ARG_IMPORT_DIR}/${p})
  endforeach()
  foreach(p IN LISTS ARG_PROTOS)
    get_filename_component(base ${p} NAME_WE)
    set(outs ${out_dir}/${base}.pb.cc ${out_dir}/${base}.pb.h)
    set(plugin_args)
    if(ARG_GRPC)
      list(APPEND outs ${out_dir}/${base}.grpc.pb.cc ${out_dir}/${base}.grpc.pb.h)
      set(plugin_args --grpc_out=${out_dir} --plugin=protoc-gen-grpc=${GRPC_CPP_PLUGIN})
    endif()
    add_custom_command(
      OUTPUT ${outs}
      COMMAND protobuf::protoc -I${ARG_IMPORT_DIR} --cpp_out=${out_dir} ${plugin_args}
              ${ARG_IMPORT_DIR}/${p}
      DEPENDS ${all_protos} protobuf::protoc
      COMMENT "protoc ${p}")
    list(APPEND srcs ${outs})
  endforeach()
  add_library(${name} STATIC ${srcs})
  # Generated code includes its siblings by bare name.
  target_include_directories(${name} PUBLIC ${CMAKE_BINARY_DIR}/gen ${out_dir})
  target_link_libraries(${name} PUBLIC protobuf::libprotobuf gRPC::grpc++)
  target_compile_options(${name} PRIVATE -w)
  # Each generated file defines the same file-local names (schemas, file_default_instances).
  set_target_properties(${name} PROPERTIES UNITY_BUILD OFF)
endfunction()
