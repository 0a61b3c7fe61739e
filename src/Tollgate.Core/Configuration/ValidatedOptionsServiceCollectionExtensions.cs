using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Tollgate.Configuration;

/// <summary>The one way a feature registers its settings: bound from their section, checked by the validator beside them, at start-up.</summary>
public static class ValidatedOptionsServiceCollectionExtensions
{
    /// <summary>
    /// Binds <typeparamref name="TOptions"/> to <paramref name="section"/>, registers <typeparamref name="TValidator"/>
    /// for it and validates on start, so a wrong setting stops the host with every problem named rather than failing a
    /// request later. Returns the builder for a feature that post-configures what it bound.
    /// </summary>
    public static OptionsBuilder<TOptions> AddValidatedOptions<TOptions, TValidator>(this IServiceCollection services, IConfiguration section)
        where TOptions : class
        where TValidator : class, IValidateOptions<TOptions>
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TOptions>, TValidator>());
        return services.AddOptions<TOptions>().Bind(section).ValidateOnStart();
    }
}
